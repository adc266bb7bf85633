//! Every command the UI can call, grouped per area. Each is one line into
//! the engine, run through [`blocking`]; `NAMES` lists them for the UI's
//! gateway module.

pub mod access;
pub mod admin;
pub mod cash;
pub mod sales;
pub mod setup;
pub mod sync;
pub mod system;

use nexus_terminal::ErrorBody;

/// What a command answers: a value, or `{code, message}`.
pub type Reply<T> = Result<T, ErrorBody>;

/// Runs blocking work — every engine call: bcrypt, SQLite writes and their
/// fsync — on the runtime's blocking pool. The async runtime's few worker
/// threads are shared with the background sync; a PIN check or a commit
/// running on one of them would stall it (and every other command). A
/// panic in the work answers `internal` instead of taking the shell down.
pub async fn blocking<T, F>(work: F) -> Reply<T>
where
    F: FnOnce() -> Reply<T> + Send + 'static,
    T: Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work).await.unwrap_or_else(|_| {
        Err(ErrorBody {
            code: "internal".into(),
            message: "Error interno de la terminal; intenta de nuevo".into(),
            retry_after_secs: None,
        })
    })
}

macro_rules! commands {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// The invoke handler of every command.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$name),*]
        }

        /// Every command's name, as the UI invokes it.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

commands! {
    system::status,
    system::theme,
    system::ui_ready,
    system::verify_audit,
    system::outbox_status,
    setup::setup_standalone,
    setup::setup_demo,
    sync::enroll,
    sync::sync_now,
    access::login,
    access::lock,
    access::logout,
    access::current,
    access::set_auto_lock,
    access::set_pin_length,
    access::change_own_pin,
    cash::home,
    cash::open_session,
    cash::close_session,
    cash::session_report,
    cash::move_cash,
    sales::search_products,
    sales::sell,
    sales::cancel_sale,
    sales::receipt,
    sales::create_customer,
    sales::create_layaway,
    sales::pay_layaway,
    sales::layaways,
    admin::employees,
    admin::create_employee,
    admin::update_employee,
    admin::deactivate_employee,
    admin::reset_pin,
    admin::registers,
    admin::create_register,
    admin::update_register,
    admin::assignments,
    admin::assign_register,
    admin::set_assignment_active,
}
