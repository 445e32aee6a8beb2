"""What both apps share, knowing nothing of either: errors, text, uploads, progress output, cache
backends, backup format, id sequences and log lines. Imports Django and the standard library only."""
