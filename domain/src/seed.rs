//! Demo data for development and trials: street 龙头街道 (雷山县) with
//! 城南社区 and 城北社区, and one dev-login user per role. Idempotent: it
//! does nothing when the street is already there.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::Domain;
use crate::entities::{
    building, community, community_role, grid, household, post, report_in, street, street_role, user,
};
use crate::error::DomainResult;
use crate::org::Role;
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
    /// Seeds the demo communities once. Returns whether it wrote anything.
    pub async fn seed_demo(&self) -> DomainResult<bool> {
        if street::Entity::find().filter(street::Column::Name.eq(DEMO_STREET)).one(&self.db).await?.is_some() {
            return Ok(false);
        }
        let txn = self.db.begin().await?;
        let now = self.clock.now();
        let street =
            street::ActiveModel {
                county: Set("雷山县".into()), name: Set(DEMO_STREET.into()), ..Default::default()
            }
            .insert(&txn)
            .await?;
        let chengnan = self.seed_community(&txn, street.id, "城南社区", "CHENGNAN", 2).await?;
        let chengbei = self.seed_community(&txn, street.id, "城北社区", "CHENGBEI", 1).await?;
        for (community_id, users) in [(chengnan, CHENGNAN_USERS), (chengbei, CHENGBEI_USERS)] {
            for (openid, name, roles, phone, address, birth_year) in users {
                let user = user::ActiveModel {
                    openid: Set((*openid).into()),
                    display_name: Set((*name).into()),
                    phone: Set(phone.map(Into::into)),
                    phone_verified_at: Set(phone.map(|_| now)),
                    address: Set(address.map(Into::into)),
                    birth_year: Set(*birth_year),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                for role in roles.iter() {
                    grant(&txn, user.id, community_id, *role, now).await?;
                }
            }
        }
        self.seed_party_work(&txn, chengnan).await?;
        crate::banquets::seed_banquets(&txn, chengnan).await?;
        let reviewer = user::ActiveModel {
            openid: Set("demo-street".into()),
            display_name: Set("龙头街道审单员".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        street_role::ActiveModel {
            user_id: Set(reviewer.id),
            street_id: Set(street.id),
            role: Set(Role::StreetReviewer.as_str().into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(true)
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

    async fn seed_community(
        &self,
        txn: &DatabaseTransaction,
        street_id: i64,
        name: &str,
        invite_code: &str,
        grids: usize,
    ) -> DomainResult<i64> {
        let community = community::ActiveModel {
            street_id: Set(street_id),
            name: Set(name.into()),
            invite_code: Set(invite_code.into()),
            created_at: Set(self.clock.now()),
            overdue_policy: Set(crate::org::OverduePolicy::default().as_str().into()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let mut building_no = 0;
        for g in 1..=grids {
            let grid = grid::ActiveModel {
                community_id: Set(community.id),
                name: Set(format!("第{g}网格")),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for _ in 0..3 {
                building_no += 1;
                let building = building::ActiveModel {
                    community_id: Set(community.id),
                    grid_id: Set(grid.id),
                    name: Set(format!("{building_no}栋")),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                for unit in 1..=2 {
                    household::ActiveModel {
                        community_id: Set(community.id),
                        building_id: Set(building.id),
                        label: Set(format!("{building_no}栋{unit}单元{unit}01")),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                }
            }
        }
        Ok(community.id)
    }
}

async fn grant(
    txn: &DatabaseTransaction,
    user_id: i64,
    community_id: i64,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    community_role::ActiveModel {
        user_id: Set(user_id),
        community_id: Set(community_id),
        role: Set(role.as_str().into()),
        granted_by: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
