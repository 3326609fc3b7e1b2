"""Another program using the SQLite file at the same time (issue 17)."""
import sqlite3
from contextlib import contextmanager


@contextmanager
def another_program_in_a_write_and_a_read_transaction(path):
    """One connection holds the write lock, another an open read transaction (which keeps the WAL
    from being checkpointed), for the duration of the with block."""
    writer = sqlite3.connect(path, isolation_level=None)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("CREATE TABLE other_program (x)")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM statements").fetchone()
        yield
    finally:
        for conn in (writer, reader):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
