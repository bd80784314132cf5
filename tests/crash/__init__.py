"""The crash harness: the real command SIGKILLed at random moments, then re-run (issue 12)."""
