"""Everything that talks GraphQL: the bundled schema, the complexity rule, the client and its governor."""
