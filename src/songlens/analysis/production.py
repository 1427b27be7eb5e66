"""Production figures: peaks, crest, clipping, DC, stereo image, spectral balance.

Conventions
-----------
* ``peak_dbfs``: largest absolute sample (dBFS); ``true_peak_dbtp``: oversampled
  peak (BS.1770-4 Annex 2).
* ``plr_db`` (peak-to-loudness ratio): true peak minus integrated loudness (dB),
  as in AES TD1008 / EBU R128 s1.
* ``crest_factor_db``: sample peak over RMS of the whole track, loudest channel.
* ``clipped_samples``: samples in runs of >= 3 consecutive samples at >= 0.999
  of full scale (any channel).
* ``dc_offset``: mean sample value per channel (full scale = 1).
* ``stereo_correlation``: Pearson correlation of the first two channels
  (+1 mono-compatible, 0 wide/unrelated, -1 out of phase); ``stereo_width``:
  side energy / (mid + side) energy, 0 for mono, 0.5 for unrelated channels.
  Both ``None`` for mono files.
* ``spectral_balance``: shares of spectral energy below 250 Hz, 250-4000 Hz and
  above 4 kHz in the mono analysis signal (sum 1).
* ``targets``: how the integrated loudness sits against delivery targets:
  streaming (-14 LUFS, true peak <= -1 dBTP), EBU R128 broadcast (-23 LUFS,
  ±0.5 LU, true peak <= -1 dBTP) and ATSC A/85 (-24 LKFS, ±2 LU, <= -2 dBTP).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..features import SampleStats
from ..result.model import Production

__all__ = ["DELIVERY_TARGETS", "measure_production"]

DELIVERY_TARGETS: dict[str, dict[str, float]] = {
    "streaming": {"target_lufs": -14.0, "tolerance_lu": 1.0, "max_true_peak_dbtp": -1.0},
    "broadcast_ebu_r128": {"target_lufs": -23.0, "tolerance_lu": 0.5,
                           "max_true_peak_dbtp": -1.0},
    "broadcast_atsc_a85": {"target_lufs": -24.0, "tolerance_lu": 2.0,
                           "max_true_peak_dbtp": -2.0},
}


def _db(x: float) -> float | None:
    return float(20.0 * np.log10(x)) if x > 0 else None


def measure_production(stats: SampleStats, *, band_power: np.ndarray,
                       integrated_lufs: float | None) -> Production:
    """Compute the production facet.

    Parameters
    ----------
    stats : SampleStats
        Whole-file sample statistics from the feature extractor.
    band_power : np.ndarray [shape=(n_frames, 3)]
        Per-frame power in the low/mid/high bands.
    integrated_lufs : float or None
        Integrated loudness (LUFS), for PLR and the delivery targets.

    Returns
    -------
    Production
    """
    if band_power.ndim != 2 or band_power.shape[1] != 3:
        raise ParameterError("band_power must have shape (n_frames, 3)")
    n = max(stats.n, 1)
    peak = float(np.max(stats.peak)) if stats.peak.size else 0.0
    tp = float(np.max(stats.true_peak)) if stats.true_peak.size else 0.0
    peak_db, tp_db = _db(peak), _db(tp)
    rms = np.sqrt(stats.sum_sq / n)
    crest = None
    if peak > 0 and rms.max() > 0:
        crest = float(20 * np.log10(stats.peak[np.argmax(rms)] / rms.max()))
    mean = stats.sum / n
    corr = width = None
    if stats.peak.size >= 2:
        ll, rr, lr = stats.sum_sq[0], stats.sum_sq[1], stats.sum_lr
        ml, mr = mean[0], mean[1]
        var_l = ll / n - ml * ml
        var_r = rr / n - mr * mr
        if var_l > 1e-20 and var_r > 1e-20:
            corr = float(np.clip((lr / n - ml * mr) / np.sqrt(var_l * var_r), -1.0, 1.0))
        mid = (ll + rr + 2 * lr) / 4
        side = (ll + rr - 2 * lr) / 4
        if mid + side > 0:
            width = float(np.clip(side / (mid + side), 0.0, 1.0))
    totals = band_power.sum(axis=0, dtype=np.float64) if band_power.size else np.zeros(3)
    total = totals.sum()
    shares = totals / total if total > 0 else np.zeros(3)
    balance = {"low": float(shares[0]), "mid": float(shares[1]), "high": float(shares[2])}
    targets: dict[str, dict[str, object]] = {}
    for name, spec in DELIVERY_TARGETS.items():
        entry: dict[str, object] = dict(spec)
        if integrated_lufs is not None:
            offset = integrated_lufs - spec["target_lufs"]
            entry["offset_lu"] = float(offset)
            entry["gain_to_target_db"] = float(-offset)
            entry["loudness_ok"] = bool(abs(offset) <= spec["tolerance_lu"])
        if tp_db is not None:
            entry["true_peak_ok"] = bool(tp_db <= spec["max_true_peak_dbtp"])
            if integrated_lufs is not None:
                # true peak after normalising to the target
                entry["true_peak_after_gain_dbtp"] = float(tp_db - (integrated_lufs
                                                                    - spec["target_lufs"]))
        targets[name] = entry
    return Production(
        peak_dbfs=peak_db,
        true_peak_dbtp=tp_db,
        plr_db=(tp_db - integrated_lufs) if (tp_db is not None and integrated_lufs is not None)
        else None,
        crest_factor_db=crest,
        clipped_samples=int(stats.clipped.sum()),
        dc_offset=[float(m) for m in mean],
        stereo_correlation=corr,
        stereo_width=width,
        spectral_balance=balance,
        targets=targets,
    )
