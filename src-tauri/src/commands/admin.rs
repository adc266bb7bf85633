//! Employees, registers and assignments, managed at the store.

use nexus_domain::EmployeeId;
use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_terminal::employees::{CreatedEmployee, Employee, IssuedPin};
use nexus_terminal::registers::{
    Assignment, AssignmentFilter, NewAssignment, NewRegister, Register, RegisterChanges,
};
use tauri::State;
use uuid::Uuid;

use super::{IntoReply, Reply};
use crate::Engine;

#[tauri::command(async)]
pub fn employees(engine: State<'_, Engine>, include_inactive: bool) -> Reply<Vec<Employee>> {
    engine.get()?.employees(include_inactive).reply()
}

#[tauri::command(async)]
pub fn create_employee(engine: State<'_, Engine>, input: NewEmployee) -> Reply<CreatedEmployee> {
    engine.get()?.create_employee(&input).reply()
}

#[tauri::command(async)]
pub fn update_employee(
    engine: State<'_, Engine>,
    id: EmployeeId,
    changes: EmployeeChanges,
) -> Reply<Employee> {
    engine.get()?.update_employee(id, &changes).reply()
}

#[tauri::command(async)]
pub fn deactivate_employee(engine: State<'_, Engine>, id: EmployeeId) -> Reply<Employee> {
    engine.get()?.deactivate_employee(id).reply()
}

#[tauri::command(async)]
pub fn reset_pin(engine: State<'_, Engine>, id: EmployeeId) -> Reply<IssuedPin> {
    engine.get()?.reset_pin(id).reply()
}

#[tauri::command(async)]
pub fn registers(engine: State<'_, Engine>) -> Reply<Vec<Register>> {
    engine.get()?.registers().reply()
}

#[tauri::command(async)]
pub fn create_register(engine: State<'_, Engine>, input: NewRegister) -> Reply<Register> {
    engine.get()?.create_register(&input).reply()
}

#[tauri::command(async)]
pub fn update_register(engine: State<'_, Engine>, id: Uuid, changes: RegisterChanges) -> Reply<Register> {
    engine.get()?.update_register(id, &changes).reply()
}

#[tauri::command(async)]
pub fn assignments(engine: State<'_, Engine>, filter: AssignmentFilter) -> Reply<Vec<Assignment>> {
    engine.get()?.assignments(&filter).reply()
}

#[tauri::command(async)]
pub fn assign_register(engine: State<'_, Engine>, input: NewAssignment) -> Reply<Assignment> {
    engine.get()?.assign_register(&input).reply()
}

#[tauri::command(async)]
pub fn set_assignment_active(engine: State<'_, Engine>, id: Uuid, active: bool) -> Reply<Assignment> {
    engine.get()?.set_assignment_active(id, active).reply()
}
