"""What defines nothing: the game clock and time zone, the project's paths. Imported by resources
and by the code location's definitions alike (imports flow lib <- resources <- definitions)."""
