"""What a page shows, assembled in a fixed number of queries whatever the data size, and the cached bodies
of the signed-in read pages. Reads only: no page writes."""
