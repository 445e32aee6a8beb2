"""Telling people: notifications recorded with the write they are about, the scheduled scan, and delivery,
the only code that sends email."""
