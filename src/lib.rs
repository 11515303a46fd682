pub mod api;
pub mod cli;
pub mod commands;
pub mod invite;
pub mod logging;
pub mod paths;
pub mod sandbox;
