"""Every write a person or a command makes: keyword-only verbs, each in one transaction, refusing with
`peerplan.lib.errors.Refused` before anything changes, and recording notifications in the same transaction."""
