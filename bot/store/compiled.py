"""SQLAlchemy Core statements compiled once for a plain `sqlite3` connection.

The answer writer runs its SQLite batches on the standard library driver (see
`bot.practice.writer.SqliteBatches` for why). Writing those statements by hand would repeat the schema
and `UTCDateTime`'s storage format beside the table definitions, so a renamed column or a changed time
encoding would have to be found in two places. Instead each statement is built with SQLAlchemy from
`bot.store.schema`, compiled for SQLite with `?` placeholders once, and keeps the bind processors of its
parameters' types: a row of values goes through exactly the conversions SQLAlchemy would apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler

SQLITE = sqlite.dialect(paramstyle="qmark")


class CompiledSqlite:
    """One statement's SQL text and, for each `?` in order, its parameter name and type conversion."""

    __slots__ = ("_at", "_binds", "_expanding", "_sized", "names", "sql")

    def __init__(self, statement: ClauseElement, *, columns: Sequence[str] | None = None) -> None:
        """`columns` names the columns an INSERT sets (all of them when omitted)."""
        compiled = statement.compile(dialect=SQLITE, column_keys=list(columns) if columns is not None else None)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._binds: tuple[tuple[str, Callable[[Any], Any] | None], ...] = tuple(
            (name, compiled.binds[name].type.dialect_impl(SQLITE).bind_processor(SQLITE)) for name in self.names
        )
        self._at: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (i, convert) for i, (_name, convert) in enumerate(self._binds) if convert is not None
        )
        # An `IN` list given as one expanding parameter (`bindparam(name, expanding=True)`) is compiled
        # once; `sized` writes its `?`s for a count, so a batch of any size costs a string join, not a
        # compilation with one bind parameter per id (which was a quarter of a burst's time).
        expanding = [name for name in self.names if compiled.binds[name].expanding]
        if len(expanding) > 1 or any(convert is not None for name, convert in self._binds if name in expanding):
            raise ValueError("CompiledSqlite supports one expanding parameter, of a type that needs no conversion")
        self._expanding = f"(__[POSTCOMPILE_{expanding[0]}])" if expanding else None
        self._sized: dict[int, str] = {}

    def sized(self, count: int) -> str:
        """The SQL with the expanding parameter as `count` placeholders (kept per count); its values
        follow the other parameters' in the row, in `names` order."""
        if self._expanding is None:
            return self.sql
        sql = self._sized.get(count)
        if sql is None:
            if count < 1:
                raise ValueError("an IN list needs at least one value")
            sql = self._sized[count] = self.sql.replace(self._expanding, "(" + ", ".join("?" * count) + ")")
        return sql

    def expect(self, names: Sequence[str]) -> CompiledSqlite:
        """Fail at import when a caller's positional rows would not match the statement's `?` order."""
        if tuple(names) != self.names:
            raise AssertionError(f"parameters are {self.names}, not {tuple(names)}")
        return self

    def rows(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        """Positional rows (in `names` order, see `expect`) with each value converted as its column
        type says. For hot paths: no mapping per row, only the columns that need a conversion touched,
        so a batch of 512 answers allocates one list per row and nothing else."""
        out: list[list[Any]] = []
        at = self._at
        for row in rows:
            values = list(row)
            for i, convert in at:
                values[i] = convert(values[i])
            out.append(values)
        return out

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional parameters for one execution, converted as the column types say."""
        return tuple(values[name] if convert is None else convert(values[name]) for name, convert in self._binds)

    @staticmethod
    def parser(column: ColumnElement[Any]) -> Callable[[Any], Any]:
        """How SQLAlchemy turns what `sqlite3` returns for `column` into its Python value."""
        convert = column.type.dialect_impl(SQLITE).result_processor(SQLITE, None)
        return (lambda value: value) if convert is None else convert

    def many(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return [self.params(row) for row in rows]
