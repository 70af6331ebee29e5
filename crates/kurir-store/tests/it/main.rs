//! The store's test suite. `contract` runs every test on every backend, through `&dyn Store` opened the way
//! kurir opens it ([`kurir_store::open`], so secrets are sealed); `sqlite` holds what only the embedded backend
//! has (its files on disk).

mod backends;
mod contract;
mod postgres;
mod sqlite;
