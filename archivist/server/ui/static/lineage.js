/* The lineage graph: cytoscape + dagre, drawn from the JSON the page embeds.
 *
 * Levels holding many nodes start collapsed into cluster nodes; a cluster can be
 * searched, single members pulled out of it, or expanded whole. Everything shown
 * in the side panel is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var dataElement = document.getElementById("lineage-data");
  var container = document.getElementById("lineage-graph");
  var panel = document.getElementById("lineage-panel");
  if (!dataElement || !container || typeof cytoscape === "undefined") {
    return;
  }
  var graph = JSON.parse(dataElement.textContent);
  if (typeof cytoscapeDagre !== "undefined") {
    cytoscape.use(cytoscapeDagre);
  }

  var nodesById = {};
  graph.nodes.forEach(function (node) { nodesById[node.id] = node; });
  var clusterOf = {};
  var clustersById = {};
  graph.clusters.forEach(function (cluster) {
    clustersById[cluster.id] = cluster;
    cluster.members.forEach(function (member) { clusterOf[member] = cluster.id; });
  });
  var expanded = {};   // cluster id -> true
  var extracted = {};  // node id -> true (shown on its own although its cluster is collapsed)

  function representative(nodeId) {
    var cluster = clusterOf[nodeId];
    if (cluster && !expanded[cluster] && !extracted[nodeId]) {
      return cluster;
    }
    return nodeId;
  }

  function hiddenMembers(cluster) {
    return cluster.members.filter(function (id) { return !extracted[id]; });
  }

  function elements() {
    var out = [];
    var shownClusters = {};
    graph.nodes.forEach(function (node) {
      var rep = representative(node.id);
      if (rep === node.id) {
        out.push({ group: "nodes", data: { id: node.id, label: node.label, kind: node.kind,
          root: node.id === graph.root ? "yes" : "no" } });
      } else if (!shownClusters[rep]) {
        shownClusters[rep] = true;
        var cluster = clustersById[rep];
        var count = hiddenMembers(cluster).length;
        var noun = cluster.kind === "run" ? (count === 1 ? "run" : "runs") : (count === 1 ? "version" : "versions");
        out.push({ group: "nodes", data: { id: rep, label: count + " " + noun, kind: "cluster-" + cluster.kind,
          root: "no" } });
      }
    });
    var seen = {};
    graph.edges.forEach(function (edge) {
      var source = representative(edge.source);
      var target = representative(edge.target);
      var key = source + "\u0000" + target + "\u0000" + edge.kind;
      if (source === target || seen[key]) {
        return;
      }
      seen[key] = true;
      out.push({ group: "edges", data: { id: "e" + Object.keys(seen).length, source: source, target: target,
        kind: edge.kind } });
    });
    return out;
  }

  var style = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
      "text-wrap": "ellipsis", "text-max-width": 150, "width": 160, "height": 34, "shape": "round-rectangle",
      "color": "#10203a", "border-width": 1 } },
    { selector: "node[kind = 'run']", style: { "background-color": "#c8ecd3", "border-color": "#2f8f4e" } },
    { selector: "node[kind = 'version']", style: { "background-color": "#cfe0fb", "border-color": "#2f62c4" } },
    { selector: "node[kind ^= 'cluster']", style: { "border-style": "dashed", "border-width": 2,
      "background-color": "#f1f3f7", "font-weight": "bold", "height": 44 } },
    { selector: "node[kind = 'cluster-run']", style: { "border-color": "#2f8f4e" } },
    { selector: "node[kind = 'cluster-version']", style: { "border-color": "#2f62c4" } },
    { selector: "node[root = 'yes']", style: { "border-width": 4 } },
    { selector: "node:selected", style: { "border-color": "#e08a00", "border-width": 4 } },
    { selector: "edge", style: { "width": 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
      "line-color": "#8a94a6", "target-arrow-color": "#8a94a6", "arrow-scale": 1 } },
    { selector: "edge[kind = 'used']", style: { "line-style": "dashed" } }
  ];

  var cy = cytoscape({ container: container, elements: elements(), style: style,
    minZoom: 0.05, maxZoom: 3 });
  window.archivistGraph = cy;  // a handle for debugging in the browser console (and for tests)

  function layout() {
    container.dataset.ready = "no";
    var options = typeof cytoscapeDagre !== "undefined"
      ? { name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 70, animate: false }
      : { name: "breadthfirst", directed: true, animate: false };
    var run = cy.layout(options);
    run.one("layoutstop", function () {
      cy.fit(undefined, 20);
      container.dataset.ready = "yes";
      container.dataset.visibleNodes = String(cy.nodes().length);
    });
    run.run();
  }

  function redraw() {
    cy.elements().remove();
    cy.add(elements());
    layout();
  }

  function clear(element) {
    while (element.firstChild) { element.removeChild(element.firstChild); }
  }

  function make(tag, text, className) {
    var element = document.createElement(tag);
    if (text !== undefined) { element.textContent = text; }
    if (className) { element.className = className; }
    return element;
  }

  function safeLink(url, text, id) {
    var link = make("a", text);
    if (typeof url === "string" && url.indexOf("/ui/") === 0) { link.href = url; }
    if (id) { link.id = id; }
    return link;
  }

  function showNode(node) {
    clear(panel);
    panel.appendChild(make("h3", node.label));
    var list = make("dl", undefined, "facts");
    node.details.forEach(function (pair) {
      list.appendChild(make("dt", pair[0]));
      list.appendChild(make("dd", pair[1]));
    });
    panel.appendChild(list);
    if (node.hidden) { return; }
    var actions = make("p", undefined, "actions");
    actions.appendChild(safeLink(node.url, node.kind === "run" ? "Open run" : "Open version", "panel-open"));
    actions.appendChild(document.createTextNode(" · "));
    actions.appendChild(safeLink(node.lineage_url, "Lineage from here", "panel-lineage"));
    panel.appendChild(actions);
  }

  function showCluster(cluster) {
    clear(panel);
    var members = hiddenMembers(cluster);
    panel.appendChild(make("h3", members.length + (cluster.kind === "run" ? " runs" : " versions") +
      " at level " + cluster.level));
    var expand = make("button", "Expand this cluster");
    expand.type = "button";
    expand.id = "expand-cluster";
    expand.addEventListener("click", function () { expanded[cluster.id] = true; clear(panel); redraw(); });
    panel.appendChild(expand);
    var search = make("input");
    search.type = "search";
    search.placeholder = "Search in this cluster";
    search.id = "cluster-search";
    search.setAttribute("aria-label", "Search in this cluster");
    panel.appendChild(search);
    var list = make("ul", undefined, "plain cluster-members");
    panel.appendChild(list);
    function fill() {
      clear(list);
      var needle = search.value.toLowerCase();
      var shown = 0;
      members.forEach(function (id) {
        var node = nodesById[id];
        if (shown >= 200 || (needle && node.label.toLowerCase().indexOf(needle) < 0)) { return; }
        shown += 1;
        var item = make("li");
        var pull = make("button", node.label, "link member");
        pull.type = "button";
        pull.title = "Show this node on its own";
        pull.addEventListener("click", function () {
          extracted[id] = true;
          redraw();
          var added = cy.getElementById(id);
          added.select();
          showNode(node);
        });
        item.appendChild(pull);
        list.appendChild(item);
      });
      if (shown === 0) { list.appendChild(make("li", "No match.", "muted")); }
    }
    search.addEventListener("input", fill);
    fill();
  }

  cy.on("tap", "node", function (event) {
    var id = event.target.id();
    if (clustersById[id]) {
      showCluster(clustersById[id]);
    } else if (nodesById[id]) {
      showNode(nodesById[id]);
    }
  });

  var explode = document.getElementById("explode-all");
  if (explode) {
    explode.disabled = graph.clusters.length === 0;
    explode.addEventListener("click", function () {
      graph.clusters.forEach(function (cluster) { expanded[cluster.id] = true; });
      redraw();
    });
  }
  var fit = document.getElementById("fit-graph");
  if (fit) {
    fit.addEventListener("click", function () { cy.fit(undefined, 20); });
  }

  layout();
  if (nodesById[graph.root]) {
    cy.getElementById(graph.root).select();
    showNode(nodesById[graph.root]);
  }
})();
