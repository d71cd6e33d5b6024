"""GridLink 网格联动: community grid management platform."""
