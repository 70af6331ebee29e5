//! Statements over many rows at once, as multi-row `VALUES` lists cut into a few fixed sizes.
//!
//! A statement has a fixed cost apart from its rows: it opens a cursor on its table and on every index it may
//! change, takes the b-tree locks, and closes them all when it ends. For an `UPDATE` of `deliveries` that is half
//! a dozen cursors per row when each row is its own statement. A list of rows pays it once per chunk. The sizes
//! are few so that each statement text stays prepared in the connection's cache.

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

/// A statement run over many rows, a chunk at a time: `shared` values are `?1`, `?2`... in every chunk, and
/// `sql` is given the placeholders of a chunk's rows (numbered after them), `width` values of `values` each.
pub(crate) struct Chunked<'v, F> {
    pub shared: &'v [&'v dyn ToSql],
    pub width: usize,
    pub values: &'v [&'v dyn ToSql],
    pub sql: F,
}

impl<F: Fn(&str) -> String> Chunked<'_, F> {
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
            ((self.sql)(&placeholders(rows, width, self.shared.len() + 1)), params)
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
    fn every_row_is_written_and_counted() -> Result<(), StoreError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")?;
        let numbers: Vec<i64> = (0..87).collect();
        let names: Vec<String> = numbers.iter().map(|n| format!("n{n}")).collect();
        let values: Vec<&dyn ToSql> = numbers.iter().zip(&names).flat_map(|(n, s)| [n as &dyn ToSql, s]).collect();
        let insert = |rows: &str| format!("INSERT INTO t (a, b) VALUES {rows}");
        assert_eq!(Chunked { shared: &[], width: 2, values: &values, sql: insert }.execute(&conn)?, 87);
        let mark = |rows: &str| {
            format!("UPDATE t SET b = v.column2 || ?1 FROM (VALUES {rows}) AS v WHERE t.a = v.column1 RETURNING a")
        };
        let marked = Chunked { shared: &[&"!"], width: 2, values: &values[..10], sql: mark };
        assert_eq!(marked.query(&conn, |row| Ok(row.get::<_, i64>(0)?))?.len(), 5);
        let ragged = Chunked { shared: &[], width: 2, values: &values[..3], sql: insert };
        assert!(matches!(ragged.execute(&conn), Err(StoreError::Config(_))), "three values are not rows of two");
        let marked: i64 = conn.query_row("SELECT COUNT(*) FROM t WHERE b LIKE '%!'", [], |r| r.get(0))?;
        let last: String = conn.query_row("SELECT b FROM t WHERE a = 86", [], |r| r.get(0))?;
        assert_eq!((marked, last.as_str()), (5, "n86"));
        Ok(())
    }
}
