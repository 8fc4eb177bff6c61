"""The CSV export of leads: streamed, flat memory at any size, safe to open in a spreadsheet."""
