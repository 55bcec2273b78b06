"""Real-browser tests: JupyterLab and Voila in headless Chromium (a package, so that its
conftest does not shadow tests/conftest.py, which some test modules import by name)."""
