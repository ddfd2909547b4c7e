"""Playwright tests of the banner, the dialog and the script, in Debian's Chromium."""
