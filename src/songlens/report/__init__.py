"""The deep-dive report: narrative from measurements, pictures, a player."""
