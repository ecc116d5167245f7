"""The documents kept honest: docs/math.md, the walkthrough notebook, the tolerances reasons."""
