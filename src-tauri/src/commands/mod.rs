//! Every command the UI can call, grouped per area. Each is one line into
//! the engine; `NAMES` lists them for the UI's gateway module.

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

/// Turns an engine result into a reply.
pub trait IntoReply<T> {
    fn reply(self) -> Reply<T>;
}

impl<T> IntoReply<T> for nexus_terminal::Result<T> {
    fn reply(self) -> Reply<T> {
        self.map_err(|e| e.to_body())
    }
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
