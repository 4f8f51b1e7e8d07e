"""Reading results files and run.logs into typed records."""
