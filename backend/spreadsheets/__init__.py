"""Excel and CSV: reading uploaded sheets within bounds, writing exports and import templates."""
