//! The central service over HTTP, against real PostgreSQL.

mod audit;
mod auth;
mod bad_input;
mod config;
mod contract;
mod devices;
mod helpers;
mod hq;
mod isolation;
mod meta;
mod migrate;
mod permissions;
mod pins;
mod pools;
mod provisioning;
mod remote_close;
mod secrets;
mod sync;
mod trust;
