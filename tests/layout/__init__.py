"""The layout rules: what each package may import."""
