"""The generic core: settings, database, the entity registry and its CRUD service, list
queries, errors as data. Knows no domain, no HTTP and no panel."""
