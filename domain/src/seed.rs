//! Demo data for development and trials: street 龙头街道 (雷山县) with
//! 城南社区 and 城北社区, and one dev-login user per role. Idempotent: it
//! does nothing when the street is already there.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::Domain;
use crate::entities::{building, household, post, report_in, street, user};
use crate::error::DomainResult;
use crate::org::{Appointee, By, Role, Unit, UnitKind};
use crate::party::ReportInStatus;
use crate::posts::PostKind;

pub const DEMO_STREET: &str = "龙头街道";

/// (openid, display name, roles in 城南社区, phone, address, birth year)
type DemoUser = (&'static str, &'static str, &'static [Role], Option<&'static str>, Option<&'static str>, Option<i32>);

const CHENGNAN_USERS: &[DemoUser] = &[
    ("demo-secretary", "杨书记", &[Role::Secretary], Some("13908550001"), None, Some(1978)),
    ("demo-grid", "吴网格员", &[Role::GridWorker], Some("13908550002"), None, Some(1985)),
    ("demo-member-1", "李党员", &[Role::PartyMember], Some("13908550011"), None, Some(1982)),
    ("demo-member-2", "王党员", &[Role::PartyMember], Some("13908550012"), None, Some(1990)),
    ("demo-member-3", "张党员", &[Role::PartyMember], Some("13908550013"), None, Some(1975)),
    ("demo-volunteer", "潘志愿者", &[Role::Volunteer], Some("13908550021"), None, Some(1998)),
    ("demo-resident-1", "龙阿姨", &[Role::Resident], Some("13812345678"), Some("城南社区3栋2单元502"), Some(1966)),
    ("demo-resident-2", "杨大哥", &[Role::Resident], Some("13987654321"), Some("城南社区5栋1单元301"), Some(1980)),
    ("demo-elder", "吴奶奶", &[Role::Resident], Some("0855-3331234"), Some("城南社区1栋1单元101"), Some(1948)),
    ("demo-canteen", "合约食堂", &[Role::CanteenOperator], Some("13908550031"), None, None),
];

/// A demo party member's report-in: (openid, work unit, branch, specialties, public phone).
type DemoReportIn = (&'static str, &'static str, &'static str, &'static [&'static str], Option<&'static str>);

const REPORT_INS: &[DemoReportIn] = &[
    ("demo-member-1", "雷山县人民医院", "城南社区党总支第一支部", &["健康咨询", "慢病随访"], Some("13908550011")),
    ("demo-member-2", "雷山县教育局", "城南社区党总支第一支部", &["课业辅导"], None),
    ("demo-member-3", "国网雷山县供电公司", "城南社区党总支第二支部", &["水电维修"], Some("13908550013")),
];

const CHENGBEI_USERS: &[DemoUser] = &[
    ("demo-secretary-2", "潘书记", &[Role::Secretary], Some("13908560001"), None, Some(1976)),
    ("demo-resident-3", "杨阿公", &[Role::Resident], Some("13765432109"), Some("城北社区2栋3单元201"), Some(1955)),
];

impl Domain {
    /// Seeds the demo county, street and communities once, through the same
    /// paths a county uses (create the county and its admin, then the units,
    /// then appointments). Returns whether it wrote anything.
    pub async fn seed_demo(&self) -> DomainResult<bool> {
        if street::Entity::find().filter(street::Column::Name.eq(DEMO_STREET)).one(&self.db).await?.is_some() {
            return Ok(false);
        }
        let txn = self.db.begin().await?;
        let org = self.org();
        let admin = self.demo_user(&txn, ("demo-county", "雷山县管理员", &[], Some("13908550100"), None, None)).await?;
        let (county, _) = org.create_county_in(&txn, "雷山县", Appointee::User(admin)).await?;
        let street = org.create_unit_in(&txn, By::Operator, UnitKind::Street, county.unit, DEMO_STREET, None).await?;
        for (parent, department) in [
            (county.unit, "县住建局"),
            (county.unit, "县民政局"),
            (county.unit, "县人社局"),
            (county.unit, "县供电局"),
            (county.unit, "县自来水公司"),
            (street.unit, "龙头街道综治中心"),
        ] {
            org.create_unit_in(&txn, By::Operator, UnitKind::Department, parent, department, None).await?;
        }
        // The street's own departments that answer its whistles (吹哨报到), each with its staff.
        for (department, (openid, name)) in [
            ("龙头街道住建中心", ("demo-dept-housing", "住建中心工作人员")),
            ("龙头街道民政办", ("demo-dept-civil", "民政办工作人员")),
        ] {
            let unit =
                org.create_unit_in(&txn, By::Operator, UnitKind::Department, street.unit, department, None).await?;
            let staff = self.demo_user(&txn, (openid, name, &[], None, None, None)).await?;
            org.appoint_in(&txn, By::Operator, Role::DepartmentStaff, unit.unit, Appointee::User(staff)).await?;
        }
        let (chengnan, first_grid) = self.seed_community(&txn, street.unit, "城南社区", "CHENGNAN", 2).await?;
        let (chengbei, _) = self.seed_community(&txn, street.unit, "城北社区", "CHENGBEI", 1).await?;
        for (community_id, users) in [(chengnan, CHENGNAN_USERS), (chengbei, CHENGBEI_USERS)] {
            for demo in users.iter() {
                let id = self.demo_user(&txn, *demo).await?;
                if let Some(address) = demo.4 {
                    self.demo_household(&txn, community_id, id, address).await?;
                }
                for role in demo.2.iter() {
                    let unit = if *role == Role::GridWorker {
                        Unit::new(UnitKind::Grid, first_grid)
                    } else {
                        Unit::community(community_id)
                    };
                    org.appoint_in(&txn, By::Operator, *role, unit, Appointee::User(id)).await?;
                }
            }
        }
        self.seed_party_work(&txn, chengnan).await?;
        crate::banquets::seed_banquets(&txn, chengnan).await?;
        let reviewer = self.demo_user(&txn, ("demo-street", "龙头街道审单员", &[], None, None, None)).await?;
        org.appoint_in(&txn, By::Operator, Role::StreetReviewer, street.unit, Appointee::User(reviewer)).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Puts a demo resident in the household their address names
    /// (`城南社区3栋2单元502`: room 2单元502 of building 3栋), created if the
    /// building does not have it yet.
    async fn demo_household(
        &self,
        txn: &DatabaseTransaction,
        community_id: i64,
        user_id: i64,
        address: &str,
    ) -> DomainResult<()> {
        let Some((_, label)) = address.split_once("社区") else { return Ok(()) };
        let Some(at) = label.find('栋') else { return Ok(()) };
        let building_name = &label[..at + '栋'.len_utf8()];
        let Some(building) = building::Entity::find()
            .filter(building::Column::CommunityId.eq(community_id))
            .filter(building::Column::Name.eq(building_name))
            .one(txn)
            .await?
        else {
            return Ok(());
        };
        let existing = household::Entity::find()
            .filter(household::Column::BuildingId.eq(building.id))
            .filter(household::Column::Label.eq(label))
            .one(txn)
            .await?;
        let household = match existing {
            Some(h) => h.id,
            None => {
                household::ActiveModel {
                    community_id: Set(community_id),
                    building_id: Set(building.id),
                    label: Set(label.into()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
        };
        user::ActiveModel { id: Set(user_id), household_id: Set(Some(household)), ..Default::default() }
            .update(txn)
            .await?;
        Ok(())
    }

    /// A demo user as their first dev sign-in would create them.
    async fn demo_user(&self, txn: &DatabaseTransaction, demo: DemoUser) -> DomainResult<i64> {
        let (openid, name, _, phone, address, birth_year) = demo;
        let now = self.clock.now();
        let user = user::ActiveModel {
            openid: Set(openid.into()),
            display_name: Set(name.into()),
            phone: Set(phone.map(Into::into)),
            phone_verified_at: Set(phone.map(|_| now)),
            address: Set(address.map(Into::into)),
            birth_year: Set(birth_year),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(user.id)
    }

    async fn seed_party_work(&self, txn: &DatabaseTransaction, community_id: i64) -> DomainResult<()> {
        let now = self.clock.now();
        let secretary = user::Entity::find()
            .filter(user::Column::Openid.eq("demo-secretary"))
            .one(txn)
            .await?
            .map(|u| u.id)
            .unwrap_or(0);
        for (openid, unit, branch, specialties, phone) in REPORT_INS {
            let Some(member) = user::Entity::find().filter(user::Column::Openid.eq(*openid)).one(txn).await? else {
                continue;
            };
            report_in::ActiveModel {
                user_id: Set(member.id),
                community_id: Set(community_id),
                work_unit: Set((*unit).into()),
                party_branch: Set((*branch).into()),
                specialties: Set(serde_json::to_string(specialties).unwrap_or_else(|_| "[]".into())),
                public_phone: Set(phone.map(Into::into)),
                status: Set(ReportInStatus::Approved.as_str().into()),
                active_key: Set(Some(format!("{}:{community_id}", member.id))),
                decided_by: Set(Some(secretary)),
                decided_at: Set(Some(now)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        let today = now.date_naive();
        for (title, kind, description, capacity) in [
            ("政策宣传员", PostKind::PolicyPublicity, "每月在楼栋宣讲一次就业、医保政策", 3),
            ("四点半课堂辅导员", PostKind::AfterSchoolTutoring, "工作日16:30—18:00辅导搬迁户孩子作业", 2),
        ] {
            post::ActiveModel {
                community_id: Set(community_id),
                title: Set(title.into()),
                kind: Set(kind.as_str().into()),
                description: Set(description.into()),
                capacity: Set(capacity),
                taken: Set(0),
                term_start: Set(today),
                term_end: Set(today + chrono::Duration::days(365)),
                created_by: Set(secretary),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        Ok(())
    }

    /// A demo community with its grids, three buildings per grid and two
    /// households per building. Returns the community's and its first grid's ids.
    async fn seed_community(
        &self,
        txn: &DatabaseTransaction,
        street: Unit,
        name: &str,
        invite_code: &str,
        grids: usize,
    ) -> DomainResult<(i64, i64)> {
        let org = self.org();
        let community =
            org.create_unit_in(txn, By::Operator, UnitKind::Community, street, name, Some(invite_code)).await?;
        let mut building_no = 0;
        let mut first_grid = None;
        for g in 1..=grids {
            let grid = org
                .create_unit_in(txn, By::Operator, UnitKind::Grid, community.unit, &format!("第{g}网格"), None)
                .await?;
            first_grid.get_or_insert(grid.unit.id);
            for _ in 0..3 {
                building_no += 1;
                let building = org
                    .create_unit_in(txn, By::Operator, UnitKind::Building, grid.unit, &format!("{building_no}栋"), None)
                    .await?;
                for unit in 1..=2 {
                    household::ActiveModel {
                        community_id: Set(community.unit.id),
                        building_id: Set(building.unit.id),
                        label: Set(format!("{building_no}栋{unit}单元{unit}01")),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                }
            }
        }
        Ok((community.unit.id, first_grid.unwrap_or_default()))
    }
}
