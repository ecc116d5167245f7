"""The test suite, one folder per subject (tests/<subject>/); the fixtures they share live in
conftest.py files."""
