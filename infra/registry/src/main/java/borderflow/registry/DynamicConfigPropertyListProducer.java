package borderflow.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the build step of apicurio-common-app-components-config-index, whose -deployment
 * artifact Maven Central does not serve (see infra/registry/pom.xml). That step indexes the
 * properties that may be changed at run time through the registry's admin API; with an empty list
 * none can be, and every property is read from the ordinary configuration (system properties set
 * by registry.sh): the admin API lists no dynamic properties.
 */
public class DynamicConfigPropertyListProducer {
    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
