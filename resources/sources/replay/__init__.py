"""The replay source: the shipped archive of real past data, served date by date."""
