import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { apolloClient, BASENAME } from './app/apollo';
import { Layout } from './app/Layout';
import { ToastProvider } from './app/toasts';
import { ApiTokensPage } from './routes/api-tokens/ApiTokensPage';
import { GeneralSettingsPage } from './routes/general-settings/GeneralSettingsPage';
import { MediaPage } from './routes/media/MediaPage';
import { PluginsPage } from './routes/plugins/PluginsPage';
import { ProviderSettingsPage } from './routes/provider-settings/ProviderSettingsPage';
import { OverviewPage } from './routes/overview/OverviewPage';
import { SignInPage } from './routes/sign-in/SignInPage';
import { StorageLocationsPage } from './routes/storage-locations/StorageLocationsPage';
import { ToolsPage } from './routes/tools/ToolsPage';
import './styles.css';

const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      element: <Layout />,
      children: [
        { index: true, element: <OverviewPage /> },
        { path: 'api-tokens', element: <ApiTokensPage /> },
        { path: 'media', element: <MediaPage /> },
        { path: 'general/plugins', element: <PluginsPage /> },
        { path: 'general/plugins/:provider', element: <ProviderSettingsPage /> },
        { path: 'general/settings', element: <GeneralSettingsPage /> },
        { path: 'general/locations', element: <StorageLocationsPage /> },
        { path: 'tools', element: <ToolsPage /> },
      ],
    },
  ],
  { basename: BASENAME },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={apolloClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </ApolloProvider>
  </StrictMode>,
);
