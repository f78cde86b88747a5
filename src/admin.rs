//! `linli admin …`: what a county IT office runs on the server to put linli
//! into service: create the county and appoint its first admin, then its
//! streets, communities, departments, grids and buildings, and appoint staff.
//! Then it hands each community its household roster: `roster-template`
//! writes the form, `import-roster` reads it back into the community.
//! The commands work on the configured database (`DATABASE_URL`, else the
//! embedded SQLite file) and act as the server's operator.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use api::Config;
use domain::org::roster::RosterReport;
use domain::org::{Appointee, By, Unit, UnitInfo, UnitKind};
use domain::{Domain, Role};

#[derive(Subcommand)]
pub enum Admin {
    /// Creates a county and appoints its first admin (by WeChat openid, or by
    /// phone: that person takes the post when they first sign in and bind it).
    CreateCounty {
        /// The county's name, e.g. 雷山县.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        admin: Person,
    },
    /// Creates a street (街道/乡镇) in a county.
    CreateStreet {
        #[arg(long)]
        county: i64,
        #[arg(long)]
        name: String,
    },
    /// Creates a community (社区/村) in a street; prints its invite code.
    CreateCommunity {
        #[arg(long)]
        street: i64,
        #[arg(long)]
        name: String,
    },
    /// Creates a department (职能部门) of a county, or of one of its streets.
    CreateDepartment {
        #[arg(long, conflicts_with = "street", required_unless_present = "street")]
        county: Option<i64>,
        #[arg(long)]
        street: Option<i64>,
        #[arg(long)]
        name: String,
    },
    /// Creates a grid (网格) in a community.
    CreateGrid {
        #[arg(long)]
        community: i64,
        #[arg(long)]
        name: String,
    },
    /// Creates a building (楼栋) in a grid.
    CreateBuilding {
        #[arg(long)]
        grid: i64,
        #[arg(long)]
        name: String,
    },
    /// Appoints someone to a role at a unit (the unit the role is held at:
    /// SECRETARY at a community, GRID_WORKER at a grid, COUNTY_ADMIN at a county…).
    Appoint {
        /// The role, e.g. SECRETARY, STREET_REVIEWER, DEPARTMENT_STAFF, GRID_WORKER.
        #[arg(long)]
        role: String,
        /// The id of the unit the role is held at.
        #[arg(long)]
        unit: i64,
        #[command(flatten)]
        person: Person,
    },
    /// Writes the household roster form (花名册模板) as an xlsx file: the
    /// header row, and a sheet explaining each column.
    RosterTemplate {
        /// Where to write it, e.g. 花名册.xlsx.
        out: PathBuf,
    },
    /// Imports a filled roster into a community: households are created or
    /// updated, their people become its residents. Bad rows are skipped and
    /// listed with their row numbers (the exit is still zero); a file that
    /// cannot be read or lacks a column imports nothing and exits non-zero.
    ImportRoster {
        /// The roster, an xlsx file with the template's header row.
        file: PathBuf,
        /// The community's id.
        #[arg(long)]
        community: i64,
        /// Reports what would happen and writes nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Who is appointed: a WeChat openid, or a phone (with the person's name).
#[derive(Args)]
pub struct Person {
    #[command(flatten)]
    who: Who,
    /// The person's name (with --phone).
    #[arg(long = "person-name", alias = "admin-name", requires = "phone")]
    person_name: Option<String>,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct Who {
    /// The person's WeChat openid (they need not have signed in yet).
    #[arg(long, visible_alias = "admin-openid")]
    openid: Option<String>,
    /// The person's mobile phone; they take the post when they first sign
    /// in and bind the same phone.
    #[arg(long, visible_alias = "admin-phone")]
    phone: Option<String>,
}

impl Person {
    async fn appointee(&self, domain: &Domain) -> anyhow::Result<Appointee> {
        match (&self.who.openid, &self.who.phone) {
            (Some(openid), _) => Ok(Appointee::User(domain.auth().user_for_openid(openid, None).await?.id)),
            (None, Some(phone)) => {
                Ok(Appointee::Phone { phone: phone.clone(), name: self.person_name.clone().unwrap_or_default() })
            }
            (None, None) => anyhow::bail!("name the person with --openid or --phone"),
        }
    }
}

fn created(what: &UnitInfo) {
    println!("已创建{}「{}」 id={}", what.unit.kind.label(), what.name, what.unit.id);
}

/// The report in Chinese, one line per skipped row.
fn print_report(report: &RosterReport) {
    if report.dry_run {
        println!("试导入（未写入任何数据）");
    }
    println!("读到 {} 行", report.rows);
    println!(
        "住户：新建 {}，更新 {}，未变 {}",
        report.households_created, report.households_updated, report.households_unchanged
    );
    println!("人员：新建 {}", report.people_created);
    if report.bad_rows.is_empty() {
        println!("没有有问题的行");
    } else {
        println!("跳过有问题的行 {} 行（改好后重新导入整份文件即可）：", report.bad_rows.len());
        for bad in &report.bad_rows {
            println!("{bad}");
        }
    }
}

pub async fn run(command: Admin) -> anyhow::Result<()> {
    if let Admin::RosterTemplate { out } = &command {
        // Needs no database.
        let bytes = domain::org::roster::template()?;
        std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
        println!("已写出花名册模板 {}", out.display());
        return Ok(());
    }
    let config = Config::load()?;
    let domain = api::startup::open_domain(&config).await?;
    let org = domain.org();
    let create = |kind: UnitKind, parent: Unit, name: String| async move {
        let made = org.create_unit(By::Operator, kind, parent, &name).await?;
        created(&made);
        anyhow::Ok(made)
    };
    match command {
        Admin::CreateCounty { name, admin } => {
            let (county, admin) = org.create_county(&name, admin.appointee(&domain).await?).await?;
            created(&county);
            println!("县级管理员 用户id={admin}");
        }
        Admin::CreateStreet { county, name } => {
            create(UnitKind::Street, Unit::county(county), name).await?;
        }
        Admin::CreateCommunity { street, name } => {
            let community = create(UnitKind::Community, Unit::street(street), name).await?;
            let code = domain.org().invite_code(community.unit.id).await?;
            println!("邀请码 {code}");
        }
        Admin::CreateDepartment { county, street, name } => {
            let parent = match (county, street) {
                (_, Some(s)) => Unit::street(s),
                (Some(c), None) => Unit::county(c),
                (None, None) => anyhow::bail!("give --county or --street"),
            };
            create(UnitKind::Department, parent, name).await?;
        }
        Admin::CreateGrid { community, name } => {
            create(UnitKind::Grid, Unit::community(community), name).await?;
        }
        Admin::CreateBuilding { grid, name } => {
            create(UnitKind::Building, Unit::new(UnitKind::Grid, grid), name).await?;
        }
        Admin::Appoint { role, unit, person } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}"))?;
            let unit = Unit::new(role.unit_kind(), unit);
            let user = org.appoint(By::Operator, role, unit, person.appointee(&domain).await?).await?;
            println!("已任命{} 用户id={user} {}id={}", role.label(), unit.kind.label(), unit.id);
        }
        Admin::RosterTemplate { .. } => {}
        Admin::ImportRoster { file, community, dry_run } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = org.import_roster(By::Operator, community, &bytes, dry_run).await?;
            print_report(&report);
        }
    }
    Ok(())
}
