//! The Web1on1 (ChatShipper) REST API v2 client.
//!
//! Everything the tool knows about the wire lives here: typed models that keep unknown fields,
//! the query syntax, Link pagination, token refresh, retries and client-side rate limiting.
//! What is known about the platform, and what is not, is in `docs/platform.md`; the doc
//! comments name its sections.

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
