"""Domain logic of the conditions plugin: no Falcon here, only models, SQL and rules."""
