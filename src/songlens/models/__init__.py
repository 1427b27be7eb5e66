"""Model weights shipped with SongLens or found in installed packages (never downloaded)."""
