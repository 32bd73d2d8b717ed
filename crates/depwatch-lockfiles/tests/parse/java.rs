use crate::in_repo::parse_in_repo;
use depwatch_lockfiles::Format;

#[test]
fn pom_xml_fixtures() {
    snapshot_fixtures!(Format::PomXml, "pom_xml/*.xml");
}

#[test]
fn gradle_lockfile_fixtures() {
    snapshot_fixtures!(Format::GradleLockfile, "gradle_lockfile/*.lockfile");
}

#[test]
fn pom_inherits_from_a_parent_in_the_repository() {
    let parsed = parse_in_repo(Format::PomXml, "pom-parent", "app/pom.xml");
    insta::assert_json_snapshot!(parsed);
    let version = |name: &str| {
        parsed.packages.iter().find(|p| p.name == name).map(|p| (p.version.clone(), p.pinned))
    };
    // Managed by the parent, through the parent's property.
    assert_eq!(version("io.netty:netty-handler"), Some(("4.1.100.Final".into(), true)));
    // Inherited dependency, with the child's override of the parent's property.
    assert_eq!(version("org.apache.logging.log4j:log4j-core"), Some(("2.17.1".into(), true)));
    // `${project.version}` in the parent's management is the child's (inherited) version.
    assert_eq!(version("com.acme:acme-common"), Some(("2.0.0-SNAPSHOT".into(), true)));
}

#[test]
fn legacy_gradle_layout_takes_the_configuration_from_the_file_name() {
    let path = "gradle/dependency-locks/compileClasspath.lockfile";
    let parsed = parse_in_repo(Format::GradleLockfile, "gradle-legacy", path);
    insta::assert_json_snapshot!(parsed);
    assert_eq!(parsed.packages.len(), 2);
    assert!(parsed.packages.iter().all(|p| p.scope == depwatch_lockfiles::Scope::Prod));
}
