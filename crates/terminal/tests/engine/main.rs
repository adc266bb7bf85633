//! The terminal engine, called directly as the desktop shell calls it.

mod access;
mod audit;
mod bad_input;
mod cash_sessions;
mod cli;
mod crash;
mod employees;
mod helpers;
mod own_pin;
mod registers;
mod sales;
mod setup;
