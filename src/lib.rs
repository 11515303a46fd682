pub mod api;
pub mod cli;
pub mod invite;
pub mod logging;
pub mod paths;
pub mod sandbox;
