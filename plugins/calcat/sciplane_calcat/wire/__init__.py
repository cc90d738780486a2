"""The dialect's request and response conventions: scalar coercion, datetimes, id lists, bodies."""
