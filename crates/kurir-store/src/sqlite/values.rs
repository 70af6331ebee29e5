//! Statements over many rows at once, as multi-row `VALUES` lists cut into a few fixed sizes.
//!
//! A statement has a fixed cost apart from its rows: it opens a cursor on its table and on every index it may
//! change, takes the b-tree locks, and closes them all when it ends. For an `UPDATE` of `deliveries` that is half
//! a dozen cursors per row when each row is its own statement. A list of rows pays it once per chunk. The sizes
//! are few so that each statement text stays prepared in the connection's cache.

use rusqlite::{Connection, ToSql};

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

/// `(?, ?), (?, ?)`: `rows` rows of `width` placeholders.
pub(crate) fn placeholders(rows: usize, width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; rows].join(", ")
}

/// Runs `sql` (given the placeholders of a chunk) over `values`, `width` of them per row, chunk by chunk; returns
/// how many rows the statements changed.
pub(crate) fn execute_in_chunks(
    conn: &Connection,
    width: usize,
    values: &[&dyn ToSql],
    sql: impl Fn(&str) -> String,
) -> Result<usize, StoreError> {
    debug_assert_eq!(values.len() % width.max(1), 0, "a row of {width} values each");
    let mut changed = 0;
    let mut start = 0;
    for rows in chunks(values.len() / width.max(1)) {
        let end = start + rows * width;
        changed += conn.prepare_cached(&sql(&placeholders(rows, width)))?.execute(&values[start..end])?;
        start = end;
    }
    Ok(changed)
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
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(placeholders(1, 1), "(?)");
    }

    #[test]
    fn every_row_is_written_and_counted() -> Result<(), StoreError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")?;
        let numbers: Vec<i64> = (0..87).collect();
        let names: Vec<String> = numbers.iter().map(|n| format!("n{n}")).collect();
        let values: Vec<&dyn ToSql> = numbers.iter().zip(&names).flat_map(|(n, s)| [n as &dyn ToSql, s]).collect();
        let inserted = execute_in_chunks(&conn, 2, &values, |rows| format!("INSERT INTO t (a, b) VALUES {rows}"))?;
        assert_eq!(inserted, 87);
        let updated = execute_in_chunks(&conn, 2, &values[..10], |rows| {
            format!("UPDATE t SET b = v.column2 || '!' FROM (VALUES {rows}) AS v WHERE t.a = v.column1")
        })?;
        assert_eq!(updated, 5);
        let marked: i64 = conn.query_row("SELECT COUNT(*) FROM t WHERE b LIKE '%!'", [], |r| r.get(0))?;
        let last: String = conn.query_row("SELECT b FROM t WHERE a = 86", [], |r| r.get(0))?;
        assert_eq!((marked, last.as_str()), (5, "n86"));
        Ok(())
    }
}
