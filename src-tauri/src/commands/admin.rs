//! Employees, registers and assignments, managed at the store.

use nexus_domain::EmployeeId;
use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_terminal::employees::{CreatedEmployee, Employee, IssuedPin};
use nexus_terminal::registers::{
    Assignment, AssignmentFilter, NewAssignment, NewRegister, Register, RegisterChanges,
};
use tauri::State;
use uuid::Uuid;

use super::Reply;
use crate::Engine;

#[tauri::command]
pub async fn employees(engine: State<'_, Engine>, include_inactive: bool) -> Reply<Vec<Employee>> {
    engine.run(move |t| t.employees(include_inactive)).await
}

#[tauri::command]
pub async fn create_employee(engine: State<'_, Engine>, input: NewEmployee) -> Reply<CreatedEmployee> {
    engine.run(move |t| t.create_employee(&input)).await
}

#[tauri::command]
pub async fn update_employee(
    engine: State<'_, Engine>,
    id: EmployeeId,
    changes: EmployeeChanges,
) -> Reply<Employee> {
    engine.run(move |t| t.update_employee(id, &changes)).await
}

#[tauri::command]
pub async fn deactivate_employee(engine: State<'_, Engine>, id: EmployeeId) -> Reply<Employee> {
    engine.run(move |t| t.deactivate_employee(id)).await
}

#[tauri::command]
pub async fn reset_pin(engine: State<'_, Engine>, id: EmployeeId) -> Reply<IssuedPin> {
    engine.run(move |t| t.reset_pin(id)).await
}

#[tauri::command]
pub async fn registers(engine: State<'_, Engine>) -> Reply<Vec<Register>> {
    engine.run(move |t| t.registers()).await
}

#[tauri::command]
pub async fn create_register(engine: State<'_, Engine>, input: NewRegister) -> Reply<Register> {
    engine.run(move |t| t.create_register(&input)).await
}

#[tauri::command]
pub async fn update_register(
    engine: State<'_, Engine>,
    id: Uuid,
    changes: RegisterChanges,
) -> Reply<Register> {
    engine.run(move |t| t.update_register(id, &changes)).await
}

#[tauri::command]
pub async fn assignments(engine: State<'_, Engine>, filter: AssignmentFilter) -> Reply<Vec<Assignment>> {
    engine.run(move |t| t.assignments(&filter)).await
}

#[tauri::command]
pub async fn assign_register(engine: State<'_, Engine>, input: NewAssignment) -> Reply<Assignment> {
    engine.run(move |t| t.assign_register(&input)).await
}

#[tauri::command]
pub async fn set_assignment_active(engine: State<'_, Engine>, id: Uuid, active: bool) -> Reply<Assignment> {
    engine.run(move |t| t.set_assignment_active(id, active)).await
}
