//! Statements over many rows at once, as multi-row `VALUES` lists cut into a few fixed sizes.
//!
//! A statement has a fixed cost apart from its rows: it opens a cursor on its table and on every index it may
//! change, takes the b-tree locks, and closes them all when it ends. For an `UPDATE` of `deliveries` that is half
//! a dozen cursors per row when each row is its own statement. A list of rows pays it once per chunk. The sizes
//! are few so that each statement text stays prepared in the connection's cache.
//!
//! A chunk of one row is written without a list ([`Rows`]): SQLite builds a temporary b-tree for a `VALUES` list
//! it joins or looks values up in, on every run of the statement, and at light load most chunks are one row.

use rusqlite::{Connection, Row, ToSql};

use super::rows::collect;
use crate::StoreError;

/// Chunk sizes, largest first: any number of rows is a sum of these (the last is 1).
const SIZES: [usize; 4] = [64, 16, 4, 1];

/// How `rows` rows are cut into chunks: greedily, largest size first.
pub(crate) fn chunks(rows: usize) -> Vec<usize> {
    let mut left = rows;
    let mut sizes = Vec::new();
    for size in SIZES {
        while left >= size {
            sizes.push(size);
            left -= size;
        }
    }
    sizes
}

/// `(?3, ?4), (?5, ?6)`: `rows` rows of `width` numbered placeholders, the first numbered `first`.
pub(crate) fn placeholders(rows: usize, width: usize, first: usize) -> String {
    let row = |r: usize| {
        let numbers: Vec<String> = (0..width).map(|c| format!("?{}", first + r * width + c)).collect();
        format!("({})", numbers.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// One chunk's rows as its statement refers to them: `count` rows of `width` numbered placeholders, the first
/// numbered `first`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rows {
    count: usize,
    width: usize,
    first: usize,
}

impl Rows {
    /// `(?3, ?4), (?5, ?6)`: the rows of a `VALUES` list (an `INSERT`'s).
    pub(crate) fn values(&self) -> String {
        placeholders(self.count, self.width, self.first)
    }

    /// What an `UPDATE` joins the rows as: ` FROM (VALUES ...) AS v`, or nothing for a single row, whose
    /// [`Rows::column`]s are then its own placeholders.
    pub(crate) fn join(&self) -> String {
        if self.count == 1 {
            String::new()
        } else {
            format!(" FROM (VALUES {}) AS v", self.values())
        }
    }

    /// Column `n` (from 1) of the joined row: `v.column2`, or a single row's own placeholder.
    pub(crate) fn column(&self, n: usize) -> String {
        if self.count == 1 {
            format!("?{}", self.first + n - 1)
        } else {
            format!("v.column{n}")
        }
    }

    /// `?3, ?4`: rows of one column as the list of an `IN (...)`, which SQLite checks without a temporary b-tree
    /// when it holds one or two values (`IN (VALUES ...)` always builds one).
    pub(crate) fn list(&self) -> String {
        (0..self.count * self.width).map(|n| format!("?{}", self.first + n)).collect::<Vec<_>>().join(", ")
    }
}

/// A statement run over many rows, a chunk at a time: `shared` values are `?1`, `?2`... in every chunk, and
/// `sql` is given a chunk's [`Rows`] (numbered after them), `width` values of `values` each.
pub(crate) struct Chunked<'v, F> {
    pub shared: &'v [&'v dyn ToSql],
    pub width: usize,
    pub values: &'v [&'v dyn ToSql],
    pub sql: F,
}

impl<F: Fn(&Rows) -> String> Chunked<'_, F> {
    /// Runs every chunk; returns how many rows the statements changed.
    pub(crate) fn execute(&self, conn: &Connection) -> Result<usize, StoreError> {
        let mut changed = 0;
        for (sql, params) in self.chunks()? {
            changed += conn.prepare_cached(&sql)?.execute(params.as_slice())?;
        }
        Ok(changed)
    }

    /// Runs every chunk and reads the rows they return (a query, or a statement with `RETURNING`).
    pub(crate) fn query<T>(
        &self,
        conn: &Connection,
        read: impl Fn(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for (sql, params) in self.chunks()? {
            let mut stmt = conn.prepare_cached(&sql)?;
            out.extend(collect(&mut stmt, params.as_slice(), &read)?);
        }
        Ok(out)
    }

    /// Each chunk's statement text and its values; a list that is not whole rows is refused, not cut short.
    fn chunks(&self) -> Result<impl Iterator<Item = (String, Vec<&dyn ToSql>)> + '_, StoreError> {
        let width = self.width.max(1);
        if !self.values.len().is_multiple_of(width) {
            return Err(StoreError::Config(format!(
                "{} values do not make rows of {width} (a bug in the statement's caller)",
                self.values.len()
            )));
        }
        let mut start = 0;
        Ok(chunks(self.values.len() / width).into_iter().map(move |rows| {
            let end = start + rows * width;
            let mut params: Vec<&dyn ToSql> = Vec::with_capacity(self.shared.len() + end - start);
            params.extend_from_slice(self.shared);
            params.extend_from_slice(&self.values[start..end]);
            start = end;
            ((self.sql)(&Rows { count: rows, width, first: self.shared.len() + 1 }), params)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_number_of_rows_is_cut_into_the_fixed_sizes() {
        assert_eq!(chunks(0), Vec::<usize>::new());
        assert_eq!(chunks(1), vec![1]);
        assert_eq!(chunks(87), vec![64, 16, 4, 1, 1, 1]);
        assert_eq!(chunks(256), vec![64; 4]);
        for rows in 0..300 {
            let sizes = chunks(rows);
            assert_eq!(sizes.iter().sum::<usize>(), rows);
            assert!(sizes.iter().all(|s| SIZES.contains(s)));
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first");
        }
    }

    #[test]
    fn placeholders_make_rows_of_the_width() {
        assert_eq!(placeholders(2, 3, 1), "(?1, ?2, ?3), (?4, ?5, ?6)");
        assert_eq!(placeholders(1, 1, 3), "(?3)");
    }

    #[test]
    fn a_single_row_is_referred_to_by_its_placeholders_and_several_by_a_joined_list() {
        let one = Rows { count: 1, width: 2, first: 4 };
        assert_eq!((one.join(), one.column(1), one.column(2)), (String::new(), "?4".to_owned(), "?5".to_owned()));
        let two = Rows { count: 2, width: 2, first: 4 };
        assert_eq!(two.join(), " FROM (VALUES (?4, ?5), (?6, ?7)) AS v");
        assert_eq!((two.column(1), two.column(2)), ("v.column1".to_owned(), "v.column2".to_owned()));
        assert_eq!(Rows { count: 3, width: 1, first: 2 }.list(), "?2, ?3, ?4");
    }

    #[test]
    fn every_row_is_written_and_counted() -> Result<(), StoreError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")?;
        let numbers: Vec<i64> = (0..87).collect();
        let names: Vec<String> = numbers.iter().map(|n| format!("n{n}")).collect();
        let values: Vec<&dyn ToSql> = numbers.iter().zip(&names).flat_map(|(n, s)| [n as &dyn ToSql, s]).collect();
        let insert = |rows: &Rows| format!("INSERT INTO t (a, b) VALUES {}", rows.values());
        assert_eq!(Chunked { shared: &[], width: 2, values: &values, sql: insert }.execute(&conn)?, 87);
        let mark = |rows: &Rows| {
            let (a, b, join) = (rows.column(1), rows.column(2), rows.join());
            format!("UPDATE t SET b = {b} || ?1{join} WHERE t.a = {a} RETURNING a")
        };
        // Five rows: a chunk of four, joined as a list, and one written with its own placeholders.
        let marked = Chunked { shared: &[&"!"], width: 2, values: &values[..10], sql: mark };
        assert_eq!(marked.query(&conn, |row| Ok(row.get::<_, i64>(0)?))?.len(), 5);
        let odd: Vec<&dyn ToSql> = numbers.iter().skip(1).step_by(2).take(3).map(|n| n as &dyn ToSql).collect();
        let listed = |rows: &Rows| format!("SELECT b FROM t WHERE a IN ({}) ORDER BY a", rows.list());
        let found = Chunked { shared: &[], width: 1, values: &odd, sql: listed }
            .query(&conn, |row| Ok(row.get::<_, String>(0)?))?;
        assert_eq!(found, ["n1!", "n3!", "n5"]);
        let ragged = Chunked { shared: &[], width: 2, values: &values[..3], sql: insert };
        assert!(matches!(ragged.execute(&conn), Err(StoreError::Config(_))), "three values are not rows of two");
        let marked: i64 = conn.query_row("SELECT COUNT(*) FROM t WHERE b LIKE '%!'", [], |r| r.get(0))?;
        let last: String = conn.query_row("SELECT b FROM t WHERE a = 86", [], |r| r.get(0))?;
        assert_eq!((marked, last.as_str()), (5, "n86"));
        Ok(())
    }
}
