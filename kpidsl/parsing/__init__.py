"""Source text to syntax tree: reading and decoding, the grammar's facts, the fast parser, the lark backend, literals."""
