"""What both apps share, knowing nothing of either: errors, text, uploads, progress output, cache
backends, backup format and id sequences. Imports Django and the standard library only."""
