//! The central service over HTTP, against real PostgreSQL.

mod alerts;
mod audit;
mod audit_search;
mod auth;
mod bad_input;
mod board;
mod config;
mod console;
mod contract;
mod devices;
mod helpers;
mod hq;
mod invitations;
mod isolation;
mod meta;
mod migrate;
mod permissions;
mod pins;
mod pools;
mod provisioning;
mod reports;
mod registers;
mod secrets;
mod sync;
mod totp;
mod trust;
