//! A realistic demo instance: projects (one personal), repositories with real lockfiles,
//! vulnerable pins, an archived and an empty repository, and an admin token.

use crate::{CommitSpec, FakeBitbucket, FakeError, Permission, Push, RepoSpec};

const RUSTSEC_CARGO_LOCK: &str = include_str!("../demo/rustsec.Cargo.lock");
const CLI_GO_MOD: &str = include_str!("../demo/cli-cli.go.mod");
const CLI_GO_SUM: &str = include_str!("../demo/cli-cli.go.sum");
const COMPOSER_LOCK: &str = include_str!("../demo/composer.composer.lock");
const GEMFILE_LOCK: &str = include_str!("../demo/rubygems.org.Gemfile.lock");
const VULN_CARGO_LOCK: &str = include_str!("../demo/vulnerable.Cargo.lock");
const VULN_REQUIREMENTS: &str = include_str!("../demo/vulnerable.requirements.txt");
const SAFE_REQUIREMENTS: &str = include_str!("../demo/safe.requirements.txt");
const VULN_GO_MOD: &str = include_str!("../demo/vulnerable.go.mod");
const VULN_PACKAGE_LOCK: &str = include_str!("../demo/vulnerable.package-lock.json");

/// What the demo seeded, for printing.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    /// Admin user name.
    pub admin_user: String,
    /// Admin password.
    pub admin_password: String,
    /// Personal access token of the admin (REPO_ADMIN level everywhere).
    pub admin_token: String,
    /// Project token for `SHOP` (read).
    pub shop_read_token: String,
}

/// Seeds the demo content into `fake`.
pub async fn seed(fake: &FakeBitbucket) -> Result<DemoInfo, FakeError> {
    fake.add_user("admin", Some("admin"), true)?;
    fake.add_user("jdoe", Some("jdoe"), false)?;
    fake.add_user("build.bot", None, false)?;
    let admin_token = fake.add_personal_token("admin", Permission::Admin)?;

    fake.add_project("SHOP", "Shop")?;
    fake.add_project("PLAT", "Platform")?;
    fake.add_project("DATA", "Data & Reporting")?;
    fake.grant_project("jdoe", "SHOP", Permission::Write)?;
    fake.grant_project("build.bot", "PLAT", Permission::Read)?;

    fake.add_repo(
        RepoSpec::new("SHOP", "storefront")
            .name("Storefront")
            .file("package.json", "{\n  \"name\": \"storefront\",\n  \"version\": \"1.4.0\",\n  \"dependencies\": {\"lodash\": \"^4.17.15\"},\n  \"devDependencies\": {\"left-pad\": \"^1.3.0\"}\n}\n")
            .file("package-lock.json", VULN_PACKAGE_LOCK)
            .file("README.md", "# Storefront\n"),
    )?;
    fake.add_repo(
        RepoSpec::new("SHOP", "billing-service")
            .name("Billing Service")
            .file("Cargo.toml", "[package]\nname = \"billing-service\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n[dependencies]\ntime = \"0.1\"\nsmallvec = \"0.6\"\n")
            .file("Cargo.lock", VULN_CARGO_LOCK)
            .file("src/main.rs", "fn main() {\r\n    println!(\"billing\");\r\n}\r\n"),
    )?;
    fake.add_repo(
        RepoSpec::new("SHOP", "checkout-php")
            .name("Checkout (PHP)")
            .file("composer.json", "{\"require\": {\"php\": \"^7.2.5 || ^8.0\"}}\n")
            .file("composer.lock", COMPOSER_LOCK),
    )?;
    fake.add_repo(
        RepoSpec::new("PLAT", "advisory-tools")
            .name("Advisory Tools")
            .file("Cargo.lock", RUSTSEC_CARGO_LOCK)
            .file("README.md", "# Advisory tools\n"),
    )?;
    fake.add_repo(
        RepoSpec::new("PLAT", "gh-cli-fork")
            .name("gh CLI fork")
            .default_branch("trunk")
            .file("go.mod", CLI_GO_MOD)
            .file("go.sum", CLI_GO_SUM),
    )?;
    fake.add_repo(
        RepoSpec::new("PLAT", "inventory")
            .name("Inventory")
            .file("go.mod", VULN_GO_MOD)
            .file("cmd/inventory/main.go", "package main\n\nfunc main() {}\n"),
    )?;
    fake.add_repo(
        RepoSpec::new("PLAT", "legacy-gems")
            .name("Legacy Gems")
            .archived(true)
            .file("Gemfile.lock", GEMFILE_LOCK),
    )?;
    fake.add_repo(
        RepoSpec::new("DATA", "reporting")
            .name("Reporting")
            .file("requirements.txt", SAFE_REQUIREMENTS)
            .file("report.py", "print('report')\n"),
    )?;
    fake.add_repo(RepoSpec::new("DATA", "new-pipeline").name("New Pipeline"))?;
    fake.add_repo(
        RepoSpec::new("~jdoe", "scratch")
            .name("Scratch")
            .file("requirements.txt", VULN_REQUIREMENTS),
    )?;

    // A little history so commits, changes and compare have something to show.
    fake.push(
        "DATA",
        "reporting",
        Push::new().commit(
            CommitSpec::on("main")
                .author("jdoe")
                .message("Add CSV export")
                .file("export.py", "import csv\n"),
        ),
    )
    .await?;
    fake.push(
        "SHOP",
        "storefront",
        Push::new().create_branch("feature/checkout", None).create_tag(
            "v1.4.0",
            None,
            Some("Release 1.4.0"),
        ),
    )
    .await?;
    let shop_read_token = fake.add_project_token("SHOP", Permission::Read)?;
    Ok(DemoInfo {
        admin_user: "admin".to_owned(),
        admin_password: "admin".to_owned(),
        admin_token,
        shop_read_token,
    })
}

/// The vulnerable `requirements.txt` the README's curl example pushes.
pub fn vulnerable_requirements() -> &'static str {
    VULN_REQUIREMENTS
}
