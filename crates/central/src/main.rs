//! `pos-central`: the central service and its administration commands.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use nexus_central::provision::{self, NewTenant};
use nexus_central::{Central, Settings, demo, hq, http, migrate};
use secrecy::SecretString;

#[derive(Parser)]
#[command(name = "pos-central", about = "Nexus POS central service", version)]
struct Cli {
    /// Settings file (TOML); `NEXUS_*` environment variables override it.
    #[arg(long, global = true, env = "NEXUS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (migrates the master database first).
    Serve,
    /// Apply pending migrations to master, the templates and every active tenant.
    Migrate {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Create the demo tenant of seed/demo.json unless it exists, with its HQ
    /// owner `dueno@demo.nexuspos.mx` (password from NEXUS_DEMO_HQ_PASSWORD);
    /// print its id.
    Demo,
    /// Headquarters accounts (email and password).
    #[command(subcommand)]
    Hq(HqCommand),
    /// Terminals: enrollment codes, the enrolled devices, revocation.
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Make a one-time code a terminal of the branch enrolls with.
    EnrollCode {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        branch: uuid::Uuid,
        #[arg(long, default_value_t = nexus_central::devices::DEFAULT_CODE_TTL_MINUTES)]
        ttl_minutes: i64,
    },
    /// The tenant's devices.
    List {
        #[arg(long)]
        tenant: uuid::Uuid,
    },
    /// Refuse a device's pushes and pulls from now on.
    Revoke {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        device: uuid::Uuid,
    },
}

#[derive(Subcommand)]
enum HqCommand {
    /// Add a person to a tenant's headquarters; prints a one-time password.
    Add {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        email: String,
        /// owner, admin, accountant or auditor.
        #[arg(long)]
        role: String,
        /// Their name (the email when absent).
        #[arg(long)]
        name: Option<String>,
    },
    /// Invite a person to a tenant's headquarters: prints a one-time link
    /// (valid 72 hours) where they choose their own password.
    Invite {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        email: String,
        /// owner, admin, accountant or auditor.
        #[arg(long)]
        role: String,
        /// The console's public address, to print a whole link.
        #[arg(long, env = "NEXUS_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Provision a tenant: database, branch "Principal", owner, chart of accounts.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_name: String,
        /// The owner's headquarters login.
        #[arg(long)]
        owner_email: String,
        /// The owner's HQ password (12 characters or more), only from the
        /// environment so it stays out of the shell history; made and printed
        /// once when unset.
        #[arg(skip = std::env::var("NEXUS_OWNER_PASSWORD").ok().filter(|p| !p.is_empty()).map(SecretString::from))]
        owner_password: Option<SecretString>,
        #[arg(long)]
        rfc: Option<String>,
        #[arg(long)]
        plan: Option<String>,
    },
    /// List every tenant.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEXUS_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ops parked by an older central whose kinds this build knows are applied
/// now; a failure is logged and never stops the service.
async fn replay_parked(central: &Central) {
    if let Err(e) = nexus_central::sync::parked::replay_all(central).await {
        tracing::warn!(error = %e, "parked ops not replayed");
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref())?;
    let central = Central::new(settings)?;
    match cli.command {
        Command::Serve => {
            central.migrate_master().await.context("migrating the master database")?;
            replay_parked(&central).await;
            let listener = tokio::net::TcpListener::bind(central.settings.listen)
                .await
                .with_context(|| format!("cannot listen on {}", central.settings.listen))?;
            tracing::info!(address = %listener.local_addr()?, "pos-central listening");
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            http::serve(central, listener, shutdown).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { json } => {
            let plan = central.migration_plan(!json && std::io::stderr().is_terminal());
            let report = migrate::run(&central.dbs, &plan).await?;
            replay_parked(&central).await;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            Ok(if report.failures() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Tenant(TenantCommand::Create {
            name,
            owner_name,
            owner_email,
            owner_password,
            rfc,
            plan,
        }) => {
            central.migrate_master().await?;
            let new = NewTenant { name, rfc, plan, owner_name, owner_email, owner_password };
            let made = provision::provision(&central, &new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&made)?);
            eprintln!("the owner's PIN (and a generated password) are shown this once");
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant(TenantCommand::List { json }) => {
            central.migrate_master().await?;
            let tenants = provision::list(&central).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                let rows: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id, "name": t.name, "slug": t.slug, "rfc": t.rfc, "plan": t.plan,
                            "is_active": t.is_active, "status": t.status, "schema_version": t.schema_version,
                            "db_name": t.db_name, "created_at": t.created_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<36}  {:<28}  {:<24}  {:>7}  {:<6}  status",
                    "id", "name", "slug", "schema", "active"
                );
                for t in tenants {
                    println!(
                        "{:<36}  {:<28}  {:<24}  {:>7}  {:<6}  {}",
                        t.id, t.name, t.slug, t.schema_version, t.is_active, t.status
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Device(cmd) => {
            central.migrate_master().await?;
            let failed = |e: nexus_central::Error| anyhow::anyhow!("{e}");
            match cmd {
                DeviceCommand::EnrollCode { tenant, branch, ttl_minutes } => {
                    let (record, db) = central.tenant(tenant).await.map_err(failed)?;
                    let new = nexus_central::devices::NewEnrollmentCode {
                        branch_id: nexus_domain::BranchId(branch),
                        ttl_minutes: Some(ttl_minutes),
                    };
                    let code = nexus_central::devices::create_code(&central, &record, &db, None, &new)
                        .await
                        .map_err(failed)?;
                    println!("{}", serde_json::to_string_pretty(&code)?);
                }
                DeviceCommand::List { tenant } => {
                    let devices = nexus_central::devices::list(&central, tenant).await.map_err(failed)?;
                    println!("{}", serde_json::to_string_pretty(&devices)?);
                }
                DeviceCommand::Revoke { tenant, device } => {
                    let revoked = nexus_central::devices::revoke(&central, tenant, device, None)
                        .await
                        .map_err(failed)?;
                    println!("{}", serde_json::to_string_pretty(&revoked)?);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Hq(HqCommand::Invite { tenant, email, role, public_url }) => {
            central.migrate_master().await?;
            let failed = |e: nexus_central::Error| anyhow::anyhow!("{e}");
            let role = hq::HqRole::parse(&role).map_err(|e| failed(e.into()))?;
            let created = nexus_central::invitations::create(
                &central,
                tenant,
                None,
                &nexus_central::invitations::NewInvitation { email, role },
            )
            .await
            .map_err(failed)?;
            let link =
                format!("{}/console/invite/{}", public_url.trim_end_matches('/'), created.code.expose());
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "invitation_id": created.invitation.id,
                    "email": created.invitation.email,
                    "role": created.invitation.role,
                    "expires_at": created.invitation.expires_at,
                    "code": created.code,
                    "link": link,
                }))?
            );
            eprintln!("send the link to its holder now: it is not shown again");
            Ok(ExitCode::SUCCESS)
        }
        Command::Hq(HqCommand::Add { tenant, email, role, name }) => {
            central.migrate_master().await?;
            let failed = |e: nexus_central::Error| anyhow::anyhow!("{e}");
            let role = hq::HqRole::parse(&role).map_err(|e| failed(e.into()))?;
            let name = name.unwrap_or_else(|| email.clone());
            let added = hq::add(
                &central,
                &hq::NewHqAccount {
                    tenant_id: nexus_domain::TenantId(tenant),
                    email: &email,
                    name: &name,
                    role,
                    employee_id: None,
                    password: None,
                },
                &nexus_central::audit::Origin { device_id: Some("pos-central".into()), ..Default::default() },
            )
            .await
            .map_err(failed)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "account_id": added.id,
                    "email": added.email,
                    "role": added.role,
                    "password": added.generated_password,
                }))?
            );
            eprintln!("give the password to its holder now: it is not shown again");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let hq_password = std::env::var("NEXUS_DEMO_HQ_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .map(SecretString::from)
                .context("NEXUS_DEMO_HQ_PASSWORD is required: the demo HQ owner's password (12 characters or more)")?;
            central.migrate_master().await?;
            let demo = demo::ensure(&central, &hq_password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", demo.tenant_id);
            if demo.created {
                eprintln!("demo tenant created");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
