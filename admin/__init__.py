"""SQLAdmin data-entry panel mounted at /admin."""
