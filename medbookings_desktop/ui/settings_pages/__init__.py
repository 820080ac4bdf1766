"""The pages of the settings dialog, one module each."""
