//! The Web1on1 (ChatShipper) REST API v2 client.
//!
//! Everything the tool knows about the wire lives here: typed models that keep unknown fields,
//! the query syntax, Link pagination, token refresh, retries and client-side rate limiting.
//! Facts and their sources are in `shared/reference/web1on1-api.md`; section numbers in the
//! doc comments refer to it.

pub mod auth;
pub mod client;
pub mod error;
pub mod limits;
pub mod models;
pub mod pagination;
pub mod query;
pub mod retry;

pub use auth::{Claims, Credentials, Secret};
pub use client::{Client, ClientConfig, ClientEvent};
pub use error::{ApiError, ErrorKind};
pub use query::{Op, Query};
