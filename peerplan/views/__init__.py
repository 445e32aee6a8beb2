"""HTTP only: thin function views that load the scoped object (peerplan.access), bind a form, call an
operation or a page, and answer. No writes and no page assembly here."""
