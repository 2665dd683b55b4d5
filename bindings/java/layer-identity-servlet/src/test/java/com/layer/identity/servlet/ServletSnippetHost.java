package com.layer.identity.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.nio.file.Files;
import java.security.Principal;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * Deploys a README listener into embedded Tomcat, as a container deploys a web application:
 * arguments PORT and the listener's class name. A login filter stands in for the container's
 * authentication: the X-Test-User header names the principal.
 */
public final class ServletSnippetHost {
  private ServletSnippetHost() {}

  public static void main(String[] args) throws Exception {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("layer-identity-readme-").toString());
    Connector connector = new Connector();
    connector.setPort(Integer.parseInt(args[0]));
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", null);
    context.addApplicationListener(args[1]);
    Filter login =
        (request, response, chain) -> {
          String user = ((HttpServletRequest) request).getHeader("X-Test-User");
          chain.doFilter(
              user == null
                  ? request
                  : new HttpServletRequestWrapper((HttpServletRequest) request) {
                    @Override
                    public Principal getUserPrincipal() {
                      return () -> user;
                    }
                  },
              response);
        };
    FilterDef def = new FilterDef();
    def.setFilterName("login");
    def.setFilter(login);
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("login");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    tomcat.start();
    tomcat.getServer().await();
  }
}
